-- The PMS's own balance per client and currency at the extract date: read whole every run.
SELECT client_id, currency, printf('%.2f', SUM(cents) / 100.0) AS balance, :as_at AS as_at
FROM client_ledger
WHERE entity = :entity
GROUP BY client_id, currency
ORDER BY client_id, currency
