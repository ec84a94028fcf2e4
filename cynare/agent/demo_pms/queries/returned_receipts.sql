-- Receipts returned by the bank, in the receipt's currency: amount empty for a whole return, else the
-- part returned (the allocations it reverses are in returned_allocations).
SELECT rr.return_id, rr.receipt_id, rr.return_date AS date, r.currency, rr.reason, rr.amount,
       MIN(rr.modified_at, :as_at || 'T23:59:59') AS watermark
FROM returned_receipts AS rr JOIN receipts AS r ON r.receipt_id = rr.receipt_id
WHERE rr.entity = :entity AND rr.origin = 'pms' AND rr.return_date <= :as_at
  AND (:since IS NULL OR rr.modified_at > :since)
ORDER BY rr.return_id
