-- Documents voided in the PMS, said explicitly: the document stays in its own dataset.
SELECT kind, document_id, void_date AS date, reason, MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM voids
WHERE entity = :entity AND void_date <= :as_at AND (:since IS NULL OR modified_at > :since)
ORDER BY kind, document_id
