"""Spreadsheets in and out (openpyxl): work sheets, QC templates, payroll books and safe reading.

Import the module you need (``telar.sheets.worksheet``...); this package imports nothing eagerly so
that the domain (``telar.qc``) and the writers can depend on each other's constants without cycles.
"""
