-- The whole debtors list as at the extract date, read whole every run: each client's balance per
-- currency from the PMS's ledger up to that day (a voided document no longer counts, a partial
-- return gives back only its part). A client with no ledger entry is left out: its balance is zero.
SELECT client_id, currency, printf('%.2f', SUM(cents) / 100.0) AS balance, :as_at AS as_at
FROM client_ledger
WHERE entity = :entity AND day <= :as_at
GROUP BY client_id, currency
ORDER BY client_id, currency
