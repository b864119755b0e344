package app

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// checkAdminUsers refuses admin users that the web configuration cannot
// authenticate: an admin name is only trustworthy when exporter-toolkit has
// checked that user's password.
func checkAdminUsers(webConfigFile string, admins []string) error {
	if len(admins) == 0 {
		return nil
	}
	if webConfigFile == "" {
		return fmt.Errorf("--web.admin-user needs basic_auth_users in a --web.config.file")
	}
	data, err := os.ReadFile(webConfigFile)
	if err != nil {
		return fmt.Errorf("read web configuration: %w", err)
	}
	var wc struct {
		Users map[string]string `yaml:"basic_auth_users"`
	}
	// Only the user names are read here; exporter-toolkit validates the
	// whole file strictly when the server starts.
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return fmt.Errorf("parse web configuration %s: %w", webConfigFile, err)
	}
	if err := node.Decode(&wc); err != nil {
		return fmt.Errorf("parse web configuration %s: %w", webConfigFile, err)
	}
	for _, a := range admins {
		if _, ok := wc.Users[a]; !ok {
			return fmt.Errorf("admin user %q is not in basic_auth_users of %s", a, webConfigFile)
		}
	}
	return nil
}
