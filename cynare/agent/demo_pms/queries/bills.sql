-- Bills as at the extract date (as_at), changed since the last run. A bill dated after as_at waits for
-- a later run, and the watermark never passes the end of the as_at day, so a run with an earlier
-- --as-at misses nothing. (No parameter names in comments: the driver would count them.)
SELECT bill_id, bill_number, client_id, bill_date AS date, due_date, currency,
       fx_rate AS exchange_rate, total, matter_ref AS reference,
       MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM bills
WHERE entity = :entity AND bill_date <= :as_at AND (:since IS NULL OR modified_at > :since)
ORDER BY bill_id
