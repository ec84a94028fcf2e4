SELECT vat_code, xero_tax_type FROM vat_codes WHERE entity = :entity ORDER BY vat_code
