SELECT allocation_id, source_type, source_id, bill_id, alloc_date AS date, currency, amount,
       modified_at AS watermark
FROM allocations
WHERE entity = :entity AND origin = 'pms' AND (:since IS NULL OR modified_at > :since)
ORDER BY allocation_id
