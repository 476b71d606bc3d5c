-- Per-team policies: how long a volunteer's device keeps synced cases (NULL: always; 0: not at
-- all once the server has confirmed them; N: N days after their last activity on the device),
-- and how often a coordinator's device rotates each case key (NULL: only on removal or demand).

ALTER TABLE teams ADD COLUMN retention_days INTEGER CHECK (retention_days IS NULL OR retention_days >= 0);
ALTER TABLE teams ADD COLUMN rotation_days INTEGER CHECK (rotation_days IS NULL OR rotation_days > 0);
