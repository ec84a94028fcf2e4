-- Bad debts written off to a bad-debt nominal at the day's rate; vat and vat_code where VAT relief is claimed.
SELECT write_off_id, client_id, bill_id, wo_date AS date, currency, fx_rate AS exchange_rate, nominal_code,
       vat_code, net, vat, amount, reason, MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM write_offs
WHERE entity = :entity AND wo_date <= :as_at AND (:since IS NULL OR modified_at > :since)
ORDER BY write_off_id
