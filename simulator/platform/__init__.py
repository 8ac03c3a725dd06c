"""The simulated hosting platform: a fake of Vercel's REST API on loopback."""
