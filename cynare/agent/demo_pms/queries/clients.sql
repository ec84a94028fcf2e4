-- Clients changed since the last run; `watermark` is the agent's bookmark, not an extract column.
SELECT client_id, name, email, address_line1, city, postal_code, country, tax_number,
       currency AS default_currency,
       CASE archived WHEN 1 THEN 'archived' ELSE 'active' END AS status,
       modified_at AS watermark
FROM clients
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY client_id
