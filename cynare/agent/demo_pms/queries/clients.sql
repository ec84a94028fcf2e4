-- Clients changed since the last run; `watermark` is the agent's bookmark, not an extract column.
-- A client is archived as at the extract date if it was archived on or before that day.
SELECT client_id, name, email, address_line1, city, postal_code, country, tax_number,
       currency AS default_currency,
       CASE WHEN archived_on <= :as_at THEN 'archived' ELSE 'active' END AS status,
       CASE WHEN archived_on <= :as_at THEN archived_on END AS archived_on,
       MIN(modified_at, :as_at || 'T23:59:59') AS watermark
FROM clients
WHERE entity = :entity AND (:since IS NULL OR modified_at > :since)
ORDER BY client_id
