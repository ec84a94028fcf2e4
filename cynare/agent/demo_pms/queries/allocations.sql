-- Read whole every run (no watermark): an allocation deleted in the PMS (a credit un-applied) is then
-- noticed by its absence. Allocations that came from Xero through the write-back are not sent back.
SELECT allocation_id, source_type, source_id, bill_id, alloc_date AS date, currency, amount
FROM allocations
WHERE entity = :entity AND origin = 'pms' AND alloc_date <= :as_at
ORDER BY allocation_id
