"""Reports of a CT/MR volume: the DICOM SEG and JSON export."""
