"""The scikit-learn side of test/ml/parity.test.ts: StandardScaler, KMeans with k by silhouette
(2..20, n_init=10), clusters labelled by the majority of the ground truth, and
KNeighborsClassifier(n_neighbors=36, weights='distance'). Prints one JSON object."""
import json
import sys
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return data[:, :5], data[:, 5].astype(int)


def main(train_path, test_path):
    x_train, y_train = load(train_path)
    x_test, y_test = load(test_path)
    t0 = time.perf_counter()
    scaler = StandardScaler().fit(x_train)
    points = scaler.transform(x_train)
    scores = []
    best = None
    for k in range(2, min(20, len(points) - 1) + 1):
        km = KMeans(n_clusters=k, n_init=10, random_state=0).fit(points)
        score = silhouette_score(points, km.labels_)
        scores.append({"k": k, "score": float(score)})
        if best is None or score > best[0] + 1e-12:
            best = (score, km)
    km = best[1]
    train_ms = (time.perf_counter() - t0) * 1000
    labels = km.labels_
    names = []
    for c in range(km.n_clusters):
        members = y_train[labels == c]
        names.append("anomalous" if members.sum() * 2 > len(members) else "normal")
    point_labels = np.array([names[c] for c in labels])
    t1 = time.perf_counter()
    knn = KNeighborsClassifier(n_neighbors=min(36, len(points)), weights="distance").fit(points, point_labels)
    predicted = knn.predict(scaler.transform(x_test))
    score_ms = (time.perf_counter() - t1) * 1000
    truth = np.where(y_test == 1, "anomalous", "normal")
    print(json.dumps({
        "k": int(km.n_clusters),
        "scores": scores,
        "assignments": [int(v) for v in labels],
        "clusterLabels": names,
        "accuracy": float((predicted == truth).mean()),
        "trainMs": train_ms,
        "scoreMs": score_ms,
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
