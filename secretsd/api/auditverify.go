package api

import (
	"errors"
	"net/http"
	"slices"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/index"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// chainReport is one chain's verification on the wire.
type chainReport struct {
	Writer      string        `json:"writer"`
	Class       string        `json:"class"`
	Intact      bool          `json:"intact"`
	Segments    int           `json:"segments"`
	Records     uint64        `json:"records"`
	Checkpoints int           `json:"checkpoints"`
	LastSeq     uint64        `json:"last_seq"`
	Unsealed    uint64        `json:"unsealed"`
	AnchorSeq   *uint64       `json:"anchor_seq,omitempty"`
	Problem     *chainProblem `json:"problem,omitempty"`
}

// chainProblem is the first record found changed, removed, reordered or
// truncated (or a forged checkpoint).
type chainProblem struct {
	Kind   string `json:"kind"`
	Seq    uint64 `json:"seq"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Detail string `json:"detail,omitempty"`
	Error  string `json:"error"`
}

// GET /v1/audit/verify: every chain of every writer, checked against the
// writer's key pinned by the index (a swapped key file is a problem).
func (a *API) auditVerify(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	ctx := r.Context()
	if err := a.catchUp(ctx); err != nil && !errors.Is(err, index.ErrKeyChanged) {
		a.writeError(w, r, err)
		return
	}
	trusted, err := a.opts.Audit.Index.TrustedKeys(ctx)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	reports, err := trail.VerifyAll(a.opts.Audit.Root, trusted)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	intact := true
	out := make([]chainReport, 0, len(reports))
	for _, rep := range reports {
		c := chainReport{Writer: rep.Writer, Class: string(rep.Class), Intact: rep.Err == nil,
			Segments: rep.Segments, Records: rep.Records, Checkpoints: rep.Checkpoints,
			LastSeq: rep.LastSeq, Unsealed: rep.Unsealed}
		if rep.Anchor != nil {
			c.AnchorSeq = &rep.Anchor.Seq
		}
		if rep.Err != nil {
			intact = false
			c.Problem = &chainProblem{Kind: "error", Error: rep.Err.Error()}
			var p *chain.Problem
			if errors.As(rep.Err, &p) {
				c.Problem.Kind, c.Problem.Seq, c.Problem.File, c.Problem.Line, c.Problem.Detail = p.Kind.Error(), p.Seq, p.File, p.Line, p.Detail
			}
		}
		out = append(out, c)
	}
	outcome := event.Success
	if !intact {
		outcome = event.Failure
	}
	e := a.auditEvent(r, actor, event.AuditVerify, outcome)
	if !intact {
		e.Event.Reason = "chain_damaged"
	}
	if !a.recordAudit(w, r, &e) {
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"intact": intact, "chains": out})
}

// hashableFields are the fields POST /v1/audit/hash computes pseudonyms for.
var hashableFields = []string{pseudo.FieldUserID, pseudo.FieldUserName, pseudo.FieldUserEmail, pseudo.FieldSourceIP, pseudo.FieldSourceAddress}

// maxHashValue bounds the value to hash.
const maxHashValue = 1024

type hashRequest struct {
	Field string `json:"field" required:"true"`
	Value string `json:"value" required:"true"`
}

// POST /v1/audit/hash: the pseudonyms a known value has in the trail, under
// every key (like Vault's sys/audit-hash), so that an auditor can search
// for one person. The value itself is not audited, only the field.
func (a *API) auditHash(w http.ResponseWriter, r *http.Request, actor identity.Actor) {
	var req hashRequest
	if err := decodeJSON(w, r, a.opts.MaxBodyBytes, &req); err != nil {
		a.writeError(w, r, err)
		return
	}
	if !slices.Contains(hashableFields, req.Field) {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest,
			"field: must be one of user.id, user.name, user.email, source.ip, source.address").with("field", "field"))
		return
	}
	if len(req.Value) > maxHashValue {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest, "value: at most 1024 bytes").with("field", "value"))
		return
	}
	hs, err := a.opts.Audit.Pseudonymizer.HashAll(req.Field, req.Value)
	if err != nil {
		a.writeError(w, r, newError(http.StatusBadRequest, codeInvalidRequest, "value: "+err.Error()).with("field", "value"))
		return
	}
	e := a.auditEvent(r, actor, event.AuditHash, event.Success)
	detail(&e, "field", req.Field)
	if !a.recordAudit(w, r, &e) {
		return
	}
	a.writeJSON(w, r, http.StatusOK, map[string]any{"field": req.Field, "pseudonyms": hs})
}
