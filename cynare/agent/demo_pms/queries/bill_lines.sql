-- A changed bill is extracted with all its lines: the lines follow their bill's date and watermark.
-- quantity and unit_price only where the line was billed by the hour or the item (net is their
-- product, rounded to the cent). Fee earners are left out: the firm's Xero tracks offices and departments.
SELECT l.bill_id, l.line_no, l.narrative AS description, l.nominal_code, l.vat_code,
       u.quantity, u.unit_price, l.net, l.vat, l.office, l.department,
       MIN(b.modified_at, :as_at || 'T23:59:59') AS watermark
FROM bill_lines AS l
JOIN bills AS b ON b.bill_id = l.bill_id
LEFT JOIN bill_line_units AS u ON u.bill_id = l.bill_id AND u.line_no = l.line_no
WHERE b.entity = :entity AND b.bill_date <= :as_at AND (:since IS NULL OR b.modified_at > :since)
ORDER BY l.bill_id, l.line_no
