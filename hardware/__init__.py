"""Serial scanner and card-reader drivers, barcode classification and the simulator. Imports nothing of ours."""
