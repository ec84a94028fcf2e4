-- Receipts that came from Xero (origin 'xero', applied by the write-back) are already in Xero.
SELECT receipt_id, client_id, receipt_date AS date, currency, fx_rate AS exchange_rate, amount,
       bank_code AS bank_account, reference, modified_at AS watermark
FROM receipts
WHERE entity = :entity AND origin = 'pms' AND (:since IS NULL OR modified_at > :since)
ORDER BY receipt_id
