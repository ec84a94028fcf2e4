SELECT bill_id, bill_number, client_id, bill_date AS date, due_date, currency,
       fx_rate AS exchange_rate, total, matter_ref AS reference, modified_at AS watermark
FROM bills
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY bill_id
