//go:build linux

package container

import (
	"encoding/binary"
	"errors"
	"os"
	"path"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

// lister lists the cgroups of a set of hierarchies as cAdvisor's
// common.ListContainers does with container.ListRecursive: every
// directory below any hierarchy root, named by its path below the root
// ("/a", "/a/b"), the union over the hierarchies; a hierarchy or
// directory that does not exist (removed while listing) is skipped, any
// other error fails the listing.
//
// cAdvisor's version reads each directory with os.ReadDir: eight system
// calls (the os.File set-up asks the poller about the descriptor) and a
// sorted slice of entries per directory, for thousands of directories in
// several hierarchies at every discovery. This one reads each with open,
// getdents64 until it returns nothing, and close, into one reused buffer.
type lister struct {
	buf []byte
}

// list returns the names of the cgroups below the hierarchy roots.
func (l *lister) list(mounts map[string]string) (map[string]struct{}, error) {
	if l.buf == nil {
		l.buf = make([]byte, 32<<10)
	}
	out := map[string]struct{}{}
	for _, root := range mounts {
		if err := l.walk(root, "/", out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// walk adds the directories below dir, named below parent, to out.
func (l *lister) walk(dir, parent string, out map[string]struct{}) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return &os.PathError{Op: "open", Path: dir, Err: err}
	}
	// The subdirectories are walked after this one is closed, so that
	// only one descriptor is open at a time whatever the depth.
	subdirs, err := l.subdirs(fd, dir)
	_ = unix.Close(fd)
	if err != nil {
		return err
	}
	for _, name := range subdirs {
		child := path.Join(parent, name)
		out[child] = struct{}{}
		if err := l.walk(filepath.Join(dir, name), child, out); err != nil {
			return err
		}
	}
	return nil
}

// subdirs returns the names of the directories in the directory open as
// fd, asking lstat for entries of unknown type as os.ReadDir does.
func (l *lister) subdirs(fd int, dir string) ([]string, error) {
	var names []string
	for {
		n, err := unix.Getdents(fd, l.buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if errors.Is(err, unix.ENOENT) {
				// Removed while listed.
				return names, nil
			}
			return nil, &os.PathError{Op: "getdents", Path: dir, Err: err}
		}
		if n <= 0 {
			return names, nil
		}
		for b := l.buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino u64, off s64, reclen u16, type u8, name.
			const nameOff = int(unsafe.Offsetof(unix.Dirent{}.Name))
			if len(b) < nameOff {
				break
			}
			reclen := int(binary.NativeEndian.Uint16(b[16:18]))
			if reclen < nameOff || reclen > len(b) {
				break
			}
			typ, rawName := b[18], b[nameOff:reclen]
			b = b[reclen:]
			for i, c := range rawName {
				if c == 0 {
					rawName = rawName[:i]
					break
				}
			}
			name := string(rawName)
			if name == "." || name == ".." {
				continue
			}
			switch typ {
			case unix.DT_DIR:
			case unix.DT_UNKNOWN:
				var st unix.Stat_t
				if err := unix.Lstat(filepath.Join(dir, name), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
					continue
				}
			default:
				continue
			}
			names = append(names, name)
		}
	}
}
