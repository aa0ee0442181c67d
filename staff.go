package certkiosk

// Role is what a staff account may do. Roles are ordered: a supervisor can
// do what an operator can, an admin what a supervisor can.
type Role string

// Staff roles.
const (
	RoleOperator   Role = "operator"   // certifies retirees at the counter
	RoleSupervisor Role = "supervisor" // settings, camera, sync, manual review
	RoleAdmin      Role = "admin"      // staff accounts
)

// Roles lists every role, least powerful first.
var Roles = []Role{RoleOperator, RoleSupervisor, RoleAdmin}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Errorf(EINVALID, "角色无效（operator / supervisor / admin）", "unknown role %q", s)
}

// Allows reports whether r includes the rights of need.
func (r Role) Allows(need Role) bool { return r.rank() >= need.rank() && need.rank() > 0 }

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Staff is a staff account (never with its PIN hash).
type Staff struct {
	ID       string // staff number, e.g. A001
	Name     string
	Role     Role
	Disabled bool
}
