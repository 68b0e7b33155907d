-- Snapshot polls used to store the node id as sent in its header, percent-encoded (vm%3A28000), next to the
-- heartbeat's plain id (vm:28000): one node listed twice, and the encoded row could not be deleted through
-- /api/v1/nodes/{id}, because paths with an encoded percent sign are refused. Polls now decode the id, and ids that
-- cannot be a path segment (/ \ % ; or control characters) are refused. The rows they left behind go; a node that
-- is still running is listed again under its real id with its next poll or heartbeat.
DELETE FROM data_plane_nodes
WHERE node_id ~ '[/\\%;[:cntrl:]]' OR node_id IN ('.', '..');
