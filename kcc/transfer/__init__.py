"""Import and export of registrations: CSV/XLSX files in, filtered CSV/XLSX downloads out."""
