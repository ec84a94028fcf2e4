-- A changed bill is extracted with all its lines: the lines follow their bill's watermark.
SELECT l.bill_id, l.line_no, l.narrative AS description, l.nominal_code, l.vat_code, l.net, l.vat,
       l.office, l.department, l.fee_earner, b.modified_at AS watermark
FROM bill_lines AS l JOIN bills AS b ON b.bill_id = l.bill_id
WHERE b.entity = :entity AND (:since IS NULL OR b.modified_at > :since)
ORDER BY l.bill_id, l.line_no
