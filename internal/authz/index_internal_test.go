package authz

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"

	"github.com/portcullis/portcullis/internal/principal"
)

// evaluateUnindexed evaluates every policy of the set.
func evaluateUnindexed(set *PolicySet, r Request, env *environment) (bool, []string, []string) {
	res := NewResourceMapper().Map(r.Path)
	action := actionFor(nil, r.Method, res.Path)
	user := userEntity(r.Principal)
	resEnt := resourceEntity(&res)
	req := cedar.Request{
		Principal: user.UID,
		Action:    types.NewEntityUID(ActionType, types.String(action)),
		Resource:  resEnt.UID,
		Context:   contextRecord(env, r.Principal, r.Method, r.SourceIP, r.Time),
	}
	ents := &requestEntities{principal: &user, resource: &resEnt, actions: set.actionEnts}
	dec, diag := cedar.Authorize(set.all, ents, req)
	var ids, errs []string
	for _, x := range diag.Reasons {
		ids = append(ids, string(x.PolicyID))
	}
	for _, e := range diag.Errors {
		errs = append(errs, string(e.PolicyID))
	}
	return dec == cedar.Allow && len(errs) == 0, ids, errs
}

// TestIndexAgreesWithFullEvaluation decides many random requests with the
// index and with every policy, and demands the same decision and the same
// determining policies: the index may only skip policies that cannot match.
func TestIndexAgreesWithFullEvaluation(t *testing.T) {
	t.Parallel()
	schema, err := os.ReadFile("../../policies/portcullis.cedarschema")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"gen.cedar": []byte(GeneratePolicies(1000))}
	for _, f := range []string{"production.cedar", "development.cedar", "admin.cedar"} {
		files[f], err = os.ReadFile("../../policies/" + f)
		if err != nil {
			t.Fatal(err)
		}
	}
	set, err := LoadBytes("portcullis.cedarschema", schema, files)
	if err != nil {
		t.Fatal(err)
	}
	env := &environment{name: "production", mfaMethods: []string{"otp"}, location: time.UTC}
	rng := rand.New(rand.NewPCG(1, 2))
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	base := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC) // a Sunday
	allowed := 0
	for i := range 2000 {
		p := &principal.Principal{
			Subject:  fmt.Sprint("u", i),
			Role:     GenRoles[rng.IntN(len(GenRoles))],
			Team:     GenTeam(rng.IntN(20)),
			Groups:   []string{fmt.Sprint("g", rng.IntN(30)), "oncall"}[:1+rng.IntN(2)],
			AMR:      [][]string{{"pwd"}, {"pwd", "otp"}}[rng.IntN(2)],
			AuthTime: base.Add(-time.Duration(rng.IntN(2000)) * time.Second),
		}
		var path string
		switch rng.IntN(4) {
		case 0:
			path = fmt.Sprintf("/api/teams/%s/%s/%d", GenTeam(rng.IntN(20)), GenKind(rng.IntN(60)), rng.IntN(9))
		case 1:
			path = fmt.Sprintf("/api/%s/%d", GenKind(rng.IntN(60)), rng.IntN(9))
		case 2:
			path = fmt.Sprintf("/api/deployments/%d", rng.IntN(9))
		default:
			path = "/other/path"
		}
		r := Request{
			Principal: p,
			Method:    methods[rng.IntN(len(methods))],
			Path:      path,
			SourceIP:  netip.AddrFrom4([4]byte{10, byte(rng.IntN(256)), 1, 1}),
			Time:      base.Add(time.Duration(rng.IntN(48)) * time.Hour),
		}
		wantAllowed, wantIDs, wantErrs := evaluateUnindexed(set, r, env)
		res := NewResourceMapper().Map(r.Path)
		user := userEntity(p)
		resEnt := resourceEntity(&res)
		req := cedar.Request{Principal: user.UID, Resource: resEnt.UID, Context: contextRecord(env, p, r.Method, r.SourceIP, r.Time)}
		gotAllowed, gotIDs, gotErrs := evaluate(set, actionFor(nil, r.Method, res.Path), &res, &user, &resEnt, req)
		slices.Sort(wantIDs)
		slices.Sort(gotIDs)
		if gotAllowed != wantAllowed || !slices.Equal(gotIDs, wantIDs) || len(gotErrs) != len(wantErrs) {
			t.Fatalf("request %d (%s %s as %+v): indexed = %v %v %v, full = %v %v %v",
				i, r.Method, r.Path, p, gotAllowed, gotIDs, gotErrs, wantAllowed, wantIDs, wantErrs)
		}
		if gotAllowed {
			allowed++
		}
	}
	if allowed == 0 || allowed == 2000 {
		t.Fatalf("%d of 2000 requests allowed: the sample does not exercise both outcomes", allowed)
	}
	t.Logf("%d of 2000 random requests allowed", allowed)
}

// BenchmarkAuthorize1000PoliciesUnindexed is the reference without the index,
// to show what the index saves.
func BenchmarkAuthorize1000PoliciesUnindexed(b *testing.B) {
	schema, err := os.ReadFile("../../policies/portcullis.cedarschema")
	if err != nil {
		b.Fatal(err)
	}
	set, err := LoadBytes("s.cedarschema", schema, map[string][]byte{"gen.cedar": []byte(GeneratePolicies(1000))})
	if err != nil {
		b.Fatal(err)
	}
	env := &environment{name: "production", mfaMethods: []string{"otp"}, location: time.UTC}
	p := &principal.Principal{Subject: "u", Role: "Developer", Team: GenTeam(7), Groups: []string{"g7"}, AMR: []string{"otp"}, AuthTime: time.Now()}
	r := Request{Principal: p, Method: "PUT", Path: "/api/teams/" + GenTeam(7) + "/" + GenKind(7) + "/42", SourceIP: netip.MustParseAddr("10.1.2.3"), Time: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		evaluateUnindexed(set, r, env)
	}
}
