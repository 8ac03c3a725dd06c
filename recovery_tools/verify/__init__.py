"""`verify`: the checklist's success criteria judged on the real stack after a deploy, read-only, with a verdict."""
