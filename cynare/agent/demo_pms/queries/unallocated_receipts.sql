SELECT unallocated_id, client_id, receipt_date AS date, currency, fx_rate AS exchange_rate, amount,
       bank_code AS bank_account, reference, modified_at AS watermark
FROM unallocated_receipts
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY unallocated_id
