SELECT credit_note_id, credit_note_number, client_id, bill_id, cn_date AS date, currency,
       fx_rate AS exchange_rate, nominal_code, vat_code, net, vat, total, reason, modified_at AS watermark
FROM credit_notes
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY credit_note_id
