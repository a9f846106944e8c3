-- The permissions of the built-in roles are fixed (API.md). Before they
-- were, a holder of ROLE_UPDATE could add permissions to the built-in
-- "user" role, which every account holds. This puts the three roles back
-- to their fixed sets, repairing a database where that happened.
UPDATE roles SET permissions = '["ADMIN_ACCESS","ADMIN_SETTINGS","AUDIT_READ","ROLE_ASSIGN","ROLE_CREATE","ROLE_DELETE","ROLE_READ","ROLE_UPDATE","SYSTEM_MANAGE","USER_CREATE","USER_DELETE","USER_MANAGE","USER_READ","USER_UPDATE"]'
	WHERE id = '00000000-0000-7000-8000-000000000001';
UPDATE roles SET permissions = '["AUDIT_READ","USER_READ","USER_UPDATE"]'
	WHERE id = '00000000-0000-7000-8000-000000000002';
UPDATE roles SET permissions = '[]'
	WHERE id = '00000000-0000-7000-8000-000000000003';
