"""The daily reconciliation report: the HTML email, the XLSX workbook and the trend chart."""
