-- PMS VAT codes with their rates (a small table: read whole every run).
SELECT vat_code, description, rate
FROM vat_codes
WHERE entity = :entity
ORDER BY vat_code
