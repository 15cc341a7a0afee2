"""The student portal: passwordless sign-in and profile (other apps add their pages)."""
