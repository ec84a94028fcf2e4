SELECT return_id, receipt_id, return_date AS date, reason, modified_at AS watermark
FROM returned_receipts
WHERE entity = :entity AND origin = 'pms' AND (:since IS NULL OR modified_at > :since)
ORDER BY return_id
