"""Fake direct identifiers (owner names, phone numbers, GPS points) for synthetic baselines.

They are invented from short syllable lists; they exist so that the de-identification and the
writers' personal-data guard have something realistic to act on.
"""

from __future__ import annotations

import numpy as np

_FIRST = {
    "ghana": ("Kwame", "Kofi", "Yaw", "Kwabena", "Kwaku", "Akua", "Ama", "Abena", "Kojo", "Yaa"),
    "tanzania": ("Neema", "Rehema", "Amina", "Zawadi", "Halima", "Juma", "Baraka", "Asha", "Mussa"),
    "vietnam": ("Anh", "Binh", "Cuong", "Dung", "Hoa", "Lan", "Minh", "Nga", "Thanh", "Tuan"),
    "ethiopia": ("Abebe", "Alemu", "Bekele", "Girma", "Hana", "Meron", "Selam", "Tesfaye", "Yonas"),
}
_LAST = {
    "ghana": ("Mensah", "Owusu", "Boateng", "Asante", "Osei", "Agyeman", "Darko", "Appiah"),
    "tanzania": ("Mwakalinga", "Kimaro", "Massawe", "Mushi", "Temba", "Lyimo", "Swai", "Mrema"),
    "vietnam": ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui"),
    "ethiopia": ("Tadesse", "Haile", "Kebede", "Gebre", "Wolde", "Mekonnen", "Assefa", "Desta"),
}


def fake_identifiers(
    site: str,
    n: int,
    rng: np.random.Generator,
    *,
    centre: tuple[float, float],
    phone_prefix: str,
) -> dict[str, np.ndarray]:
    """Draw owner names, phone numbers and GPS points for ``n`` firms.

    Parameters
    ----------
    site : str
        Site name, choosing the name lists.
    n : int
        Number of firms.
    rng : numpy.random.Generator
        Source of randomness (the only one used).
    centre : tuple of float
        Latitude and longitude of the cluster; points fall within about 2 km of it.
    phone_prefix : str
        Country calling code.

    Returns
    -------
    dict
        ``owner_name``, ``owner_phone`` (object arrays of str), ``gps_lat``, ``gps_lon`` (float,
        shape ``(n,)``).

    Examples
    --------
    >>> d = fake_identifiers("ghana", 2, np.random.default_rng(0), centre=(6.7, -1.6),
    ...                      phone_prefix="+233")
    >>> sorted(d)
    ['gps_lat', 'gps_lon', 'owner_name', 'owner_phone']
    """
    first = np.asarray(_FIRST[site], dtype=object)[rng.integers(0, len(_FIRST[site]), n)]
    last = np.asarray(_LAST[site], dtype=object)[rng.integers(0, len(_LAST[site]), n)]
    operator = rng.integers(20, 60, n)
    number = rng.integers(0, 10_000_000, n)
    names = np.array([f"{a} {b}" for a, b in zip(first, last, strict=True)], dtype=object)
    phones = np.array(
        [f"{phone_prefix} {o:02d} {m:07d}" for o, m in zip(operator, number, strict=True)],
        dtype=object,
    )
    lat = np.round(centre[0] + rng.normal(0.0, 0.01, n), 5)
    lon = np.round(centre[1] + rng.normal(0.0, 0.01, n), 5)
    return {"owner_name": names, "owner_phone": phones, "gps_lat": lat, "gps_lon": lon}
