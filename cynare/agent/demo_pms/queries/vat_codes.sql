-- PMS VAT codes (a small table: read whole every run). A rate only where the code is rated (0 for
-- zero rated); exempt and outside-scope codes have none.
SELECT vat_code, description, treatment, rate,
       CASE bad_debt_relief WHEN 1 THEN 'yes' ELSE 'no' END AS bad_debt_relief
FROM vat_codes
WHERE entity = :entity
ORDER BY vat_code
