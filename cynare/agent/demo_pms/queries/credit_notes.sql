-- Credit note headers; the PMS's bill_id is the bill a credit note relates to (what it is applied to
-- is in allocations).
SELECT credit_note_id, credit_note_number, client_id, bill_id AS related_bill_id, cn_date AS date, currency,
       fx_rate AS exchange_rate, total, reason, MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM credit_notes
WHERE entity = :entity AND cn_date <= :as_at AND (:since IS NULL OR modified_at > :since)
ORDER BY credit_note_id
