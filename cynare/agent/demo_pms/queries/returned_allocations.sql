-- The allocations a partial return reverses: they follow their return's date and watermark.
SELECT a.return_id, a.bill_id, a.amount, MIN(r.modified_at, :as_at || 'T23:59:59') AS watermark
FROM returned_allocations AS a JOIN returned_receipts AS r ON r.return_id = a.return_id
WHERE r.entity = :entity AND r.origin = 'pms' AND r.return_date <= :as_at
  AND (:since IS NULL OR r.modified_at > :since)
ORDER BY a.return_id, a.bill_id
