"""Register quality: finding duplicate people (matching), merging them (merging), the
overdue and omitted records (omissions), and reconciling the register with outside lists such
as the hospital's births and the household registry (outside). Plain modules, no Flask."""
