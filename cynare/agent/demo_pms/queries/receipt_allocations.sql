-- Allocations follow their receipt's date and watermark, so a receipt always travels with all of them.
SELECT a.receipt_id, a.bill_id, a.amount, MIN(r.modified_at, :as_at || 'T23:59:59') AS watermark
FROM receipt_allocations AS a JOIN receipts AS r ON r.receipt_id = a.receipt_id
WHERE r.entity = :entity AND r.origin = 'pms' AND r.receipt_date <= :as_at
  AND (:since IS NULL OR r.modified_at > :since)
ORDER BY a.receipt_id, a.bill_id
