// Package demoupstream is a small stand-in for the orchestrator API that
// Portcullis protects. `make run` and `make bench` put the gateway in front
// of it. It answers from memory and echoes the identity headers the gateway
// passed (X-Portcullis-*), so the README walk-through shows what the upstream
// sees. Every answer is cheap, so that a benchmark measures the gateway and not
// the upstream.
package demoupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// IdentityHeaderPrefix is the prefix of the headers the gateway sets for the
// upstream (X-Portcullis-User, X-Portcullis-Role, …); the demo echoes them back.
const IdentityHeaderPrefix = "X-Portcullis-"

// Project is one entry of the demo catalogue.
type Project struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Team string `json:"team"`
}

// Projects is the fixed catalogue the demo serves.
var Projects = []Project{
	{ID: "1", Name: "payments", Team: "platform"},
	{ID: "2", Name: "search", Team: "discovery"},
	{ID: "3", Name: "billing", Team: "platform"},
}

// Answer is the body of every successful response: the data, and the caller
// as the gateway described it in identity headers.
type Answer struct {
	Data   any               `json:"data"`
	Caller map[string]string `json:"caller"`
}

// Deployment is what POST /api/deployments accepts and returns.
type Deployment struct {
	ID          string `json:"id"`
	Project     string `json:"project"`
	Environment string `json:"environment"`
	Status      string `json:"status"`
}

// Handler returns the demo API:
//
//	GET  /healthz             → {"status":"ok"}
//	GET  /api/projects        → the catalogue
//	GET  /api/projects/{id}   → one project, 404 if unknown
//	POST /api/deployments     → 201 with the accepted deployment
//	GET  /api/teams/{team}/projects         → the team's projects
//	POST /api/teams/{team}/projects         → 201 with the project created (not kept)
//	DELETE /api/teams/{team}/projects/{id}  → 200 with the id deleted (nothing is kept)
//
// It keeps no state between requests, so it needs no locks.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /api/projects", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Answer{Data: Projects, Caller: Caller(r.Header)})
	})
	mux.HandleFunc("GET /api/projects/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		for i := range Projects {
			if Projects[i].ID == id {
				writeJSON(w, http.StatusOK, Answer{Data: Projects[i], Caller: Caller(r.Header)})
				return
			}
		}
		writeJSON(w, http.StatusNotFound, map[string]any{"status": 404, "code": "not_found", "message": "no project " + strconv.Quote(id)})
	})
	mux.HandleFunc("POST /api/deployments", func(w http.ResponseWriter, r *http.Request) {
		var d Deployment
		// A demo: accept a small JSON body, default what is missing.
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&d)
		if d.Project == "" {
			d.Project = "1"
		}
		if d.Environment == "" {
			d.Environment = "development"
		}
		d.ID = "dep-" + d.Project
		d.Status = "accepted"
		writeJSON(w, http.StatusCreated, Answer{Data: d, Caller: Caller(r.Header)})
	})
	mux.HandleFunc("GET /api/teams/{team}/projects", func(w http.ResponseWriter, r *http.Request) {
		team := r.PathValue("team")
		mine := make([]Project, 0, len(Projects))
		for _, p := range Projects {
			if p.Team == team {
				mine = append(mine, p)
			}
		}
		writeJSON(w, http.StatusOK, Answer{Data: mine, Caller: Caller(r.Header)})
	})
	mux.HandleFunc("POST /api/teams/{team}/projects", func(w http.ResponseWriter, r *http.Request) {
		var p Project
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&p)
		p.ID, p.Team = "new", r.PathValue("team")
		writeJSON(w, http.StatusCreated, Answer{Data: p, Caller: Caller(r.Header)})
	})
	mux.HandleFunc("DELETE /api/teams/{team}/projects/{id}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, Answer{Data: map[string]string{"deleted": r.PathValue("id")}, Caller: Caller(r.Header)})
	})
	return mux
}

// Caller collects the X-Portcullis-* request headers, keyed by the rest of
// the name in lower case ("X-Portcullis-User" → "user"). Several values of one
// header are joined with ", ".
func Caller(h http.Header) map[string]string {
	out := make(map[string]string, 4)
	for name, vals := range h {
		if len(name) <= len(IdentityHeaderPrefix) || !strings.EqualFold(name[:len(IdentityHeaderPrefix)], IdentityHeaderPrefix) {
			continue
		}
		out[strings.ToLower(name[len(IdentityHeaderPrefix):])] = strings.Join(vals, ", ")
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"status":500,"code":"internal","message":"encoding the answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
