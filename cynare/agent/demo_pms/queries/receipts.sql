-- Receipts that came from Xero (origin 'xero', applied by the write-back) are already in Xero.
SELECT receipt_id, client_id, receipt_date AS date, currency, fx_rate AS exchange_rate, amount,
       bank_code AS bank_account, reference, MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM receipts
WHERE entity = :entity AND origin = 'pms' AND receipt_date <= :as_at AND (:since IS NULL OR modified_at > :since)
ORDER BY receipt_id
