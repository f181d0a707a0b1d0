package authz

import "github.com/portcullis/portcullis/internal/authz/authztest"

// Aliases so the package's own tests read naturally.
var (
	GenActions       = authztest.GenActions
	GenRoles         = authztest.GenRoles
	GenKind          = authztest.GenKind
	GenTeam          = authztest.GenTeam
	GeneratePolicies = authztest.GeneratePolicies
)
