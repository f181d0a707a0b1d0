package authz

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Source names the files of one policy set: a schema and policy files.
type Source struct {
	// Dir holds the schema (*.cedarschema) and policy files (*.cedar).
	// Optional when Schema and Files are given.
	Dir string
	// Schema is the schema file. Default: the only *.cedarschema file in Dir.
	Schema string
	// Files are the policy files, relative to Dir when Dir is set. Default:
	// every *.cedar file in Dir, in name order.
	Files []string
}

// String describes the source for logs.
func (s Source) String() string {
	switch {
	case s.Dir != "" && len(s.Files) == 0:
		return s.Dir
	case s.Dir != "":
		return s.Dir + " (" + strings.Join(s.Files, ", ") + ")"
	default:
		return strings.Join(s.Files, ", ")
	}
}

// sourceFile is one file as read from disk.
type sourceFile struct {
	name string // path as configured (used in messages)
	data []byte
}

// snapshot is the content of a source at one moment: what is compiled, and
// what the watcher compares to notice changes.
type snapshot struct {
	schema      sourceFile
	policies    []sourceFile
	fingerprint [sha256.Size]byte
}

// read resolves the source's file list and reads every file, so that the
// fingerprint describes exactly the bytes that get compiled.
func (s Source) read() (*snapshot, error) {
	schemaPath, files, err := s.resolve()
	if err != nil {
		return nil, err
	}
	snap := &snapshot{}
	h := sha256.New()
	readOne := func(p string) (sourceFile, error) {
		data, err := os.ReadFile(p)
		if err != nil {
			return sourceFile{}, fmt.Errorf("reading %w", err)
		}
		// Length-prefix name and content so that moving bytes between files
		// changes the fingerprint.
		fmt.Fprintf(h, "%d:%s:%d:", len(p), p, len(data))
		h.Write(data)
		return sourceFile{name: p, data: data}, nil
	}
	if snap.schema, err = readOne(schemaPath); err != nil {
		return nil, err
	}
	for _, f := range files {
		sf, err := readOne(f)
		if err != nil {
			return nil, err
		}
		snap.policies = append(snap.policies, sf)
	}
	h.Sum(snap.fingerprint[:0])
	return snap, nil
}

// resolve returns the schema path and the policy file paths.
func (s Source) resolve() (string, []string, error) {
	schemaPath := s.Schema
	var files []string
	if s.Dir == "" {
		if schemaPath == "" {
			return "", nil, errors.New("no schema: set a policy directory or a schema file")
		}
		if len(s.Files) == 0 {
			return "", nil, errors.New("no policy files: set a policy directory or policy files")
		}
		return schemaPath, slices.Clone(s.Files), nil
	}
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return "", nil, fmt.Errorf("reading policy directory: %w", err)
	}
	var schemas []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch filepath.Ext(e.Name()) {
		case ".cedarschema":
			schemas = append(schemas, filepath.Join(s.Dir, e.Name()))
		case ".cedar":
			files = append(files, filepath.Join(s.Dir, e.Name()))
		}
	}
	if schemaPath == "" {
		switch len(schemas) {
		case 0:
			return "", nil, fmt.Errorf("%s: no *.cedarschema file in the policy directory (or set the schema file)", s.Dir)
		case 1:
			schemaPath = schemas[0]
		default:
			return "", nil, fmt.Errorf("%s: several *.cedarschema files (%s); name the one to use with the schema option", s.Dir, strings.Join(schemas, ", "))
		}
	}
	if len(s.Files) > 0 {
		files = files[:0]
		for _, f := range s.Files {
			if filepath.IsAbs(f) {
				files = append(files, f)
			} else {
				files = append(files, filepath.Join(s.Dir, f))
			}
		}
	}
	if len(files) == 0 {
		return "", nil, fmt.Errorf("%s: no *.cedar policy files", s.Dir)
	}
	return schemaPath, files, nil
}
