package loadbench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/portcullis/portcullis/internal/devtoken"
)

// TokenSpec says which tokens the benchmark needs.
type TokenSpec struct {
	Alg    string        // signing algorithm of the key; RS256 is the product's default
	Count  int           // distinct tokens for the per-request-different load
	TTL    time.Duration // lifetime of each token
	Role   string        // role claim, chosen so the Cedar policies allow the load
	Team   string
	AMR    []string
	Groups []string
}

// TokenSet is a key, its JWKS and the tokens signed with it, on disk.
type TokenSet struct {
	Spec       TokenSpec `json:"spec"`
	Expires    time.Time `json:"expires"` // the earliest exp of the tokens
	JWKSFile   string    `json:"-"`
	TokensFile string    `json:"-"`      // one token per line
	Reused     string    `json:"reused"` // the token of the reused load, not in TokensFile
}

const (
	tokenMetaFile   = "tokens-meta.json"
	tokenJWKSFile   = "jwks.json"
	tokenListFile   = "tokens.txt"
	tokenMinLeft    = time.Hour
	tokenProgressEv = 10_000
)

// PrepareTokens returns the token set in dir, minting it when dir holds none
// for spec or its tokens expire within an hour. Minting 100,000 RS256 tokens
// costs minutes of CPU (an RSA-2048 signature each), so a set is kept
// between runs; it is only test material, signed by a throw-away key.
func PrepareTokens(dir string, spec TokenSpec, now time.Time, workers int, log io.Writer) (TokenSet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return TokenSet{}, err
	}
	if set, ok := loadTokenSet(dir, spec, now); ok {
		fmt.Fprintf(log, "loadbench: reusing %d %s tokens in %s (valid until %s)\n", spec.Count, spec.Alg, dir, set.Expires.Format(time.RFC3339))
		return set, nil
	}
	start := time.Now()
	signer, err := devtoken.NewSigner(spec.Alg)
	if err != nil {
		return TokenSet{}, err
	}
	jwks, err := devtoken.JWKS(signer)
	if err != nil {
		return TokenSet{}, err
	}
	// Remove the old set first: a half-written one must never look valid.
	_ = os.Remove(filepath.Join(dir, tokenMetaFile))
	if err := os.WriteFile(filepath.Join(dir, tokenJWKSFile), jwks, 0o644); err != nil {
		return TokenSet{}, err
	}
	claims := func(sub string) devtoken.Claims {
		return devtoken.Claims{Subject: sub, Role: spec.Role, Team: spec.Team, AMR: spec.AMR, Groups: spec.Groups, TTL: spec.TTL, AuthTime: now}
	}
	fmt.Fprintf(log, "loadbench: minting %d %s tokens with %d workers…\n", spec.Count, spec.Alg, workers)
	tokens := make([]string, spec.Count)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		done     int
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < spec.Count; i += workers {
				tok, err := signer.Mint(claims(fmt.Sprintf("bench-user-%d", i)), now)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				done++
				if done%tokenProgressEv == 0 {
					fmt.Fprintf(log, "loadbench:   %d/%d tokens (%s)\n", done, spec.Count, time.Since(start).Round(time.Second))
				}
				mu.Unlock()
				if err != nil {
					return
				}
				tokens[i] = tok
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return TokenSet{}, fmt.Errorf("minting tokens: %w", firstErr)
	}
	reused, err := signer.Mint(claims("bench-reused"), now)
	if err != nil {
		return TokenSet{}, fmt.Errorf("minting tokens: %w", err)
	}
	if err := writeLines(filepath.Join(dir, tokenListFile), tokens); err != nil {
		return TokenSet{}, err
	}
	set := TokenSet{Spec: spec, Expires: now.Add(spec.TTL), Reused: reused,
		JWKSFile: filepath.Join(dir, tokenJWKSFile), TokensFile: filepath.Join(dir, tokenListFile)}
	meta, err := json.Marshal(set)
	if err != nil {
		return TokenSet{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, tokenMetaFile), meta, 0o600); err != nil {
		return TokenSet{}, err
	}
	fmt.Fprintf(log, "loadbench: minted %d tokens in %s\n", spec.Count, time.Since(start).Round(time.Second))
	return set, nil
}

func loadTokenSet(dir string, spec TokenSpec, now time.Time) (TokenSet, bool) {
	raw, err := os.ReadFile(filepath.Join(dir, tokenMetaFile))
	if err != nil {
		return TokenSet{}, false
	}
	var set TokenSet
	if json.Unmarshal(raw, &set) != nil || !sameSpec(set.Spec, spec) || set.Expires.Sub(now) < tokenMinLeft || set.Reused == "" {
		return TokenSet{}, false
	}
	set.JWKSFile = filepath.Join(dir, tokenJWKSFile)
	set.TokensFile = filepath.Join(dir, tokenListFile)
	for _, p := range []string{set.JWKSFile, set.TokensFile} {
		if _, err := os.Stat(p); err != nil {
			return TokenSet{}, false
		}
	}
	return set, true
}

func sameSpec(a, b TokenSpec) bool {
	return a.Alg == b.Alg && a.Count == b.Count && a.TTL == b.TTL && a.Role == b.Role && a.Team == b.Team &&
		slices.Equal(a.AMR, b.AMR) && slices.Equal(a.Groups, b.Groups)
}

func writeLines(path string, lines []string) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
