-- Where a role came from: 'dashboard' (assigned by an admin, in the dashboard or the API) or 'sso' (granted at
-- sign-in from SPILLWAY_ADMIN_EMAILS or an IdP groups claim). Sign-in re-evaluates only the 'sso' roles, so a user
-- removed from an IdP group loses what that group granted, while roles given by hand stay.
ALTER TABLE org_memberships ADD COLUMN source text NOT NULL DEFAULT 'dashboard' CHECK (source IN ('dashboard', 'sso'));
ALTER TABLE team_memberships ADD COLUMN source text NOT NULL DEFAULT 'dashboard' CHECK (source IN ('dashboard', 'sso'));
