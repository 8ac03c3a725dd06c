"""The hosting platform that runs the app's cron and deployments: Vercel, over its REST API."""
