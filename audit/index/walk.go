package index

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// This file reads the layout of a trail root. It repeats, on purpose, the
// little that audit/trail also knows (names and key file), so the index does
// not depend on the writer side:
//
//	<root>/<writer>/checkpoint.pub      base64 (std) of the raw Ed25519 key
//	<root>/<writer>/<class>/NNNNNNNN.jsonl
//
// Other entries (<root>/holds/, anchor.json, stray files) are ignored.

const (
	publicKeyFile = "checkpoint.pub"
	segmentExt    = ".jsonl"
	segmentDigits = 8
)

// namePattern is what a writer or a class directory may be called.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// writerDir is one writer found under the root, with its chains' classes.
type writerDir struct {
	name    string
	hasKey  bool // checkpoint.pub exists
	classes []string
}

// listWriters returns the writer directories under root, sorted, each with
// its class directories.
func listWriters(root string) ([]writerDir, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("audit index: reading the trail root: %w", err)
	}
	var out []writerDir
	for _, e := range entries {
		if !e.IsDir() || !namePattern.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		_, err := os.Stat(filepath.Join(dir, publicKeyFile))
		w := writerDir{name: e.Name(), hasKey: !errors.Is(err, fs.ErrNotExist)}
		sub, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("audit index: reading writer %s: %w", e.Name(), err)
		}
		for _, c := range sub {
			if c.IsDir() && namePattern.MatchString(c.Name()) {
				w.classes = append(w.classes, c.Name())
			}
		}
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// readPublicKey reads a writer's checkpoint.pub.
func readPublicKey(root, writer string) (ed25519.PublicKey, error) {
	path := filepath.Join(root, writer, publicKeyFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit index: writer %s: reading %s: %w", writer, publicKeyFile, err)
	}
	key, err := base64.StdEncoding.Strict().DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("audit index: writer %s: %s is not a base64 Ed25519 public key", writer, publicKeyFile)
	}
	return ed25519.PublicKey(key), nil
}

// segmentFile is one segment on disk.
type segmentFile struct {
	num  int64
	size int64
}

// listSegments returns the segments of the chain in dir, ascending. A missing
// directory is an empty chain.
func listSegments(dir string) ([]segmentFile, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit index: listing %s: %w", dir, err)
	}
	var out []segmentFile
	for _, e := range entries {
		n, ok := segmentNumber(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted by retention since ReadDir
		}
		if err != nil {
			return nil, fmt.Errorf("audit index: listing %s: %w", dir, err)
		}
		out = append(out, segmentFile{num: n, size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].num < out[j].num })
	return out, nil
}

// segmentNumber parses "NNNNNNNN.jsonl" (exactly 8 digits, not zero).
func segmentNumber(name string) (int64, bool) {
	base, ok := strings.CutSuffix(name, segmentExt)
	if !ok || len(base) != segmentDigits {
		return 0, false
	}
	for _, c := range base {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(base, 10, 64)
	return n, err == nil && n > 0
}

func segmentPath(root, writer, class string, num int64) string {
	return filepath.Join(root, writer, class, fmt.Sprintf("%0*d%s", segmentDigits, num, segmentExt))
}
