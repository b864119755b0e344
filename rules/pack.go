package rules

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
)

// packFS holds the built-in rule pack: ordinary rule files, documented in
// pack/README.md.
//
//go:embed pack/*.yml
var packFS embed.FS

// packPrefix marks the file names of built-in rule files ("pack:kafka.yml").
const packPrefix = "pack:"

// PackFiles returns the names of the built-in rule files, as they appear
// in File.Name and in the file field of /api/v1/rules ("pack:kafka.yml").
func PackFiles() []string {
	names, _ := fs.Glob(packFS, "pack/*.yml")
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = packPrefix + path.Base(n)
	}
	return out
}

// PackGroups returns the names of the built-in rule groups, the names
// PackConfig.Disable accepts.
func PackGroups() []string {
	files, err := loadPack(PackConfig{Enabled: true})
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range files {
		for _, g := range f.Groups {
			out = append(out, g.Name)
		}
	}
	return out
}

// ReadPackFile returns the content of a built-in rule file by the name
// PackFiles gives.
func ReadPackFile(name string) ([]byte, error) {
	if len(name) <= len(packPrefix) || name[:len(packPrefix)] != packPrefix {
		return nil, fmt.Errorf("read built-in rule file %q: not a %s name", name, packPrefix)
	}
	b, err := packFS.ReadFile("pack/" + name[len(packPrefix):])
	if err != nil {
		return nil, fmt.Errorf("read built-in rule file %q: %w", name, err)
	}
	return b, nil
}

// loadPack parses the built-in rule files, leaving out disabled groups.
func loadPack(cfg PackConfig) ([]File, error) {
	if !cfg.Enabled {
		return nil, nil
	}
	p := newParser()
	var (
		out  []File
		errs []error
	)
	for _, name := range PackFiles() {
		b, err := ReadPackFile(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f, err := parseFile(name, b, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f.Groups = slices.DeleteFunc(f.Groups, func(g GroupSpec) bool { return slices.Contains(cfg.Disable, g.Name) })
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}
