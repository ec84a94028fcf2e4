SELECT write_off_id, client_id, bill_id, wo_date AS date, currency, amount, reason, modified_at AS watermark
FROM write_offs
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY write_off_id
