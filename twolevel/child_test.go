package twolevel_test

const childRoleEnv = "VALCACHE_TWOLEVEL_ROLE"

func runChild(role string) int { return 2 }
